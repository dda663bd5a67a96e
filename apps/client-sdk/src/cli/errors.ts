/**
 * The CLI's exit codes and one clear line per failure. SDK errors are mapped by type, so a
 * script can tell "not registered" from "gateway down" from "refused by the server".
 */
import { CommanderError } from 'commander';
import {
  AlreadyRegisteredError,
  ApiError,
  GroupIntegrityError,
  InvalidArgumentError,
  InvalidBundleError,
  NetworkError,
  NotAdminError,
  NotRegisteredError,
  SendFailedError,
  StoreCorruptError,
  StoreKeyError,
  UnknownGroupError,
} from '../index';

export const EXIT = {
  ok: 0,
  /** A bug or anything unexpected. */
  internal: 1,
  /** Bad command line. */
  usage: 2,
  /** This home has no device yet, or already has one. */
  device: 3,
  /** The store's key is wrong, missing, too open, or the store is damaged. */
  store: 4,
  /** The gateway could not be reached. */
  network: 5,
  /** The server or the protocol refused (not a member, not an admin, bad bundle...). */
  refused: 6,
  /** `listen --count` did not get its messages in time. */
  timeout: 7,
} as const;

/** A failure the CLI itself detected, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof NotRegisteredError) {
    return {
      message: 'no device registered in this home: run `parley register <userId>` first',
      exitCode: EXIT.device,
    };
  }
  if (error instanceof AlreadyRegisteredError) {
    return {
      message: 'this home already holds a registered device (use another --home)',
      exitCode: EXIT.device,
    };
  }
  if (error instanceof StoreKeyError) {
    return {
      message: `${error.message}: check PARLEY_STORE_KEY or the key file`,
      exitCode: EXIT.store,
    };
  }
  if (error instanceof StoreCorruptError) return { message: error.message, exitCode: EXIT.store };
  if (error instanceof NetworkError) {
    return { message: `cannot reach the gateway: ${error.message}`, exitCode: EXIT.network };
  }
  if (error instanceof UnknownGroupError) {
    return {
      message: `${error.message} (if you were just invited, run \`parley listen\` to receive the invitation)`,
      exitCode: EXIT.refused,
    };
  }
  if (error instanceof ApiError) {
    const network = error.status === 503 || error.status === 502 || error.status === 504;
    return {
      message: `the server refused: ${error.message}`,
      exitCode: network ? EXIT.network : EXIT.refused,
    };
  }
  if (
    error instanceof NotAdminError ||
    error instanceof GroupIntegrityError ||
    error instanceof InvalidBundleError ||
    error instanceof SendFailedError
  ) {
    return { message: error.message, exitCode: EXIT.refused };
  }
  if (error instanceof InvalidArgumentError)
    return { message: error.message, exitCode: EXIT.usage };
  if (error instanceof CommanderError) return { message: error.message, exitCode: EXIT.usage };
  const message = error instanceof Error ? error.message : String(error);
  return { message: `unexpected error: ${message}`, exitCode: EXIT.internal };
}
