/**
 * Why a file (or a row) was not applied, as stable machine codes. Operators, the reason files in
 * failed/, the ledger and the API all use these codes; docs/ingest.md lists them.
 */

/** A whole file is refused: nothing from it is applied. */
export type FileReasonCode =
  | 'name_not_in_pattern'
  | 'bad_business_date'
  | 'symlink'
  | 'outside_drop_folder'
  | 'not_a_file'
  | 'unreadable'
  | 'empty_file'
  | 'bom_encoding_mismatch'
  | 'wrong_encoding'
  | 'binary_content'
  | 'corrupt_gzip'
  | 'unterminated_quote'
  | 'malformed_csv'
  | 'line_too_long'
  | 'header_missing'
  | 'header_mismatch'
  | 'header_date_mismatch'
  | 'trailer_missing'
  | 'trailer_malformed'
  | 'trailer_count_mismatch'
  | 'trailer_sum_mismatch'
  | 'data_after_trailer'
  | 'no_rows'
  | 'too_many_bad_rows'
  | 'too_many_deletes'
  | 'changed_while_reading'
  // flagged (not applied, needs a human):
  | 'name_reused'
  | 'out_of_order'
  // recorded no-op:
  | 'duplicate_content';

/** One row is refused and quarantined; the rest of the file may still apply. */
export type RowReasonCode =
  | 'field_count'
  | 'malformed_row'
  | 'invalid_field'
  | 'invalid_record'
  | 'duplicate_key'
  | 'unknown_operation'
  | 'unknown_record_type'
  | 'record_length';

export class FileRejected extends Error {
  constructor(
    readonly code: FileReasonCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FileRejected';
  }
}
