// A separate process (an instance) that takes one cluster slot and holds it until it is killed.
// Usage: tsx slot-holder.ts <redis url> <prefix> <lease ms> <key>
import { Redis } from "ioredis";
import { ClusterSlots } from "../../src/engine/cluster-admission.js";

const [url, prefix, lease, key] = process.argv.slice(2) as [string, string, string, string];
const slots = new ClusterSlots(
  new Redis(url),
  prefix,
  () => ({ maxRunning: 1, perKey: {}, queueTimeoutMs: 0 }),
  Number(lease),
);
await slots.acquire(key);
process.stdout.write("held\n");
setInterval(() => {}, 1000);
