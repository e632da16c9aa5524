/**
 * `record[key]` when `key` is the record's own entry. Settings are plain objects keyed by names users
 * type (`policy __proto__`, `new constructor 1.0`), and a plain lookup would find Object.prototype's
 * members instead of nothing.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
