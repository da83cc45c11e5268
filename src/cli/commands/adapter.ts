/** `seam adapter ...`: tools for writing adapters. */
import type { Command } from 'commander';
import { initAdapter, OutputExistsError, SYSTEM_NAME, WsdlError } from '../../adapter/init/generate.ts';
import { CliError, EXIT } from '../index.ts';

interface InitOpts {
  wsdl: string;
  name: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function registerAdapter(program: Command): void {
  const adapter = program.command('adapter').description('tools for writing adapters');
  adapter
    .command('init')
    .description(
      'write a starting adapter from a WSDL: resources for its read operations, zod schemas, SOAP settings',
    )
    .requiredOption(
      '--wsdl <file|url>',
      'the WSDL, a local file or an http(s) URL (imported schemas are followed)',
    )
    .requiredOption('--name <system>', 'system id: lower-case letters, digits, dashes (also the folder name)')
    .option('--out <dir>', "folder to write (default: seam's adapters/<name>)")
    .option('--force', 'write into a folder that already has files, overwriting the generated ones')
    .option('--json', 'print the result as JSON')
    .action(async (opts: InitOpts) => {
      if (!SYSTEM_NAME.test(opts.name))
        throw new CliError(
          `--name "${opts.name}": use lower-case letters, digits and dashes, starting with a letter (at most 31)`,
          EXIT.usage,
        );
      let result;
      try {
        result = await initAdapter({ wsdl: opts.wsdl, name: opts.name, outDir: opts.out, force: opts.force });
      } catch (err) {
        if (err instanceof WsdlError) throw new CliError(`cannot read the WSDL: ${err.message}`, EXIT.failed);
        if (err instanceof OutputExistsError) throw new CliError(err.message, EXIT.failed);
        throw err;
      }
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      const s = result.service;
      console.log(
        `${result.outDir}: adapter "${opts.name}" from ${s.service || 'the WSDL'} (SOAP ${s.soapVersion}, ${s.style}/${s.use}, endpoint ${s.endpoint ?? 'none given'})`,
      );
      for (const r of result.resources) {
        const ops = [r.get && `${r.get} (one)`, r.list && `${r.list} (list)`, ...r.others]
          .filter(Boolean)
          .join(', ');
        console.log(`  resource ${r.name}: ${ops}; key ${r.key ?? 'TODO'}`);
      }
      for (const o of result.operations.filter((x) => x.skipped))
        console.log(`  skipped ${o.name}: ${o.skipped}`);
      const writes = result.operations.filter((x) => !x.read).map((x) => x.name);
      if (writes.length) console.log(`  not read operations (never called): ${writes.join(', ')}`);
      console.log(`Next: search the generated files for TODO (see ${result.outDir}/README.md).`);
    });
}
