/** The logging the image side needs: a pino-compatible subset, a no-op by default. Never pass credentials to it. */
export interface ImageLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const noopLogger: ImageLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
