/**
 * One lane for everything that reads and writes session, sender-key and group state: a
 * session record is loaded, advanced and saved as one step, so sends and receives never
 * interleave on the same record.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
