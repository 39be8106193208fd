/**
 * The load benchmark's child processes talk to it over Node's IPC channel. A child exits when the
 * benchmark goes away (it failed, or was interrupted): nobody would be left to stop it.
 */

/** Handles each message of the parent in turn; a failure ends the child. */
export function serveParent<M>(what: string, handle: (message: M) => Promise<void>): void {
  process.once('disconnect', () => process.exit(1));
  process.on('message', (message: M) => {
    handle(message).catch((error: unknown) => {
      console.error(`${what} failed:`, error);
      process.exit(1);
    });
  });
}

export function tellParent(message: unknown): void {
  process.send?.(message);
}

/** Closes the channel once the work is done, so that the process can exit by itself. */
export function leaveParent(): void {
  process.removeAllListeners('disconnect');
  process.disconnect?.();
}
