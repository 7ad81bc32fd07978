import type { ImageConfig } from '../layers/types.js';

/** "os/architecture[/variant]" as in an image index ("linux/arm64/v8"); "unknown" when the config names none. */
export function platformOf(config: ImageConfig): string {
  if (!config.os || !config.architecture) return 'unknown';
  return [config.os, config.architecture, config.variant].filter((part) => part !== undefined && part !== '').join('/');
}
