/**
 * The adapters seam loads when SEAM_ADAPTERS is not set: the folder names under adapters/.
 * Kept here, not in src/, because src/ names no legacy system.
 */
export const defaultAdapters: readonly string[] = ['acme-erp'];
