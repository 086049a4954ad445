/** The largest uploaded file, for every multipart upload (a 100,000-row CSV fits; XLSX is compressed). */
export const UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024;
