// A separate process that works on a session store, for the contract's multi-process cases.
// Usage: tsx worker.ts <kind> <home> update-many <sharedId> <ownId> <count>
//        tsx worker.ts <kind> <home> write-forever
import { closeContractStores, openStoreForContract } from "./stores.js";

const [kind, home, op, ...args] = process.argv.slice(2);
const store = openStoreForContract(kind as string, home as string);

if (op === "update-many") {
  const [shared, own, count] = args as [string, string, string];
  for (let i = 0; i < Number(count); i++) {
    const id = i % 2 === 0 ? shared : own;
    await store.update(id, (session) => {
      session.turn_count += 1;
      session.metadata[`by-${process.pid}`] = String(Number(session.metadata[`by-${process.pid}`] ?? 0) + 1);
    });
  }
} else if (op === "write-forever") {
  process.stdout.write("ready\n");
  for (let i = 0; ; i++) {
    const session = await store.create({ backend: "claude", working_dir: "/tmp", initial_prompt: `p${i}`.repeat(200) });
    await store.update(session.id, (s) => {
      s.turn_count += 1;
      s.title = `t${i}`.repeat(100);
    });
  }
}
await closeContractStores();
