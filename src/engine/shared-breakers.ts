/**
 * Circuit-breaker state shared by instances through Redis: when a backend's breaker opens on one
 * instance, every instance refuses that backend until the same moment, instead of each spawning CLIs
 * that fail until it has counted its own failures. The open state is a key that expires with it
 * (`<prefix>breaker:<backend>`), announced on a channel and read at startup;
 * the probes of the half-open state stay each instance's own.
 */
import type { Redis } from "ioredis";
import type { BreakerRegistry } from "./circuit-breaker.js";

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export class SharedBreakers {
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly breakers: BreakerRegistry,
  ) {}

  private key(name: string): string {
    return `${this.prefix}breaker:${name}`;
  }

  private get channel(): string {
    return `${this.prefix}breakers`;
  }

  /** Starts following the other instances (and announcing this one's openings) for `names`. */
  async start(names: readonly string[]): Promise<void> {
    this.breakers.onOpen = (name, until) => void this.announce(name, until).catch(() => undefined);
    for (const name of names) await this.adopt(name);
    this.subscriber = this.redis.duplicate();
    this.subscriber.on("error", () => undefined); // reconnects by itself; a missed message expires anyway
    this.subscriber.on("message", (_channel: string, name: string) => {
      if (NAME.test(name)) void this.adopt(name).catch(() => undefined);
    });
    await this.subscriber.subscribe(this.channel);
  }

  stop(): void {
    this.breakers.onOpen = undefined;
    this.subscriber?.disconnect();
  }

  private async announce(name: string, until: number): Promise<void> {
    const ttl = Math.max(1, until - Date.now());
    await this.redis.set(this.key(name), String(until), "PX", ttl);
    await this.redis.publish(this.channel, name);
  }

  /** Opens this instance's breaker until the moment the shared state says. */
  private async adopt(name: string): Promise<void> {
    // The time left by Redis's clock, not the opener's: instances' clocks need not agree.
    const left = await this.redis.pttl(this.key(name));
    if (left > 0) this.breakers.get(name).openUntil(Date.now() + left);
  }
}
