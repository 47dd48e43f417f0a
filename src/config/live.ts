/** The config a long-running process follows: the current value, and who wants to hear of changes. */
import type { Config } from "./schema.js";

export class LiveConfig {
  private listeners: ((config: Config) => void)[] = [];

  constructor(private value: Config) {}

  get current(): Config {
    return this.value;
  }

  set(config: Config): void {
    this.value = config;
    for (const listener of this.listeners) listener(config);
  }

  onChange(listener: (config: Config) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
