// One prompt, one answer: `tsx examples/one-shot.ts [backend] [prompt]`.
import { Clinvoker } from "clinvoker";

const [backend = "claude", prompt = "Say hello in five words."] = process.argv.slice(2);
const clinvk = new Clinvoker();
const result = await clinvk.run({ backend, prompt, ephemeral: true });
if (result.error) {
  console.error(`${result.error.code}: ${result.error.message}`);
  process.exitCode = 1;
} else {
  console.log(result.text);
  console.log(`(${result.usage.input_tokens} in, ${result.usage.output_tokens} out, ${result.duration_ms} ms)`);
}
