// Prints the answer as the agent writes it, and its tool calls as they happen.
import { Clinvoker } from "clinvoker";

const [backend = "claude", prompt = "List the files in this directory and describe one."] = process.argv.slice(2);
for await (const event of new Clinvoker().stream({ backend, prompt, ephemeral: true })) {
  switch (event.type) {
    case "text":
      process.stdout.write(event.text);
      break;
    case "tool_call":
      process.stderr.write(`\n[tool] ${event.name} ${JSON.stringify(event.input)}\n`);
      break;
    case "result":
      process.stdout.write("\n");
      if (event.error) process.stderr.write(`failed: ${event.error.message}\n`);
      break;
  }
}
