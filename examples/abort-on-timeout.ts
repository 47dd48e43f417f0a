// Gives up after a deadline: the CLI's whole process group is killed and the call rejects.
import { ClinvkError, Clinvoker } from "clinvoker";

const seconds = Number(process.argv[2] ?? 30);
try {
  const result = await new Clinvoker().run(
    { prompt: "Explain this repository in detail.", ephemeral: true },
    { signal: AbortSignal.timeout(seconds * 1000) },
  );
  console.log(result.text);
} catch (error) {
  if (error instanceof ClinvkError && error.code === "cancelled") console.error(`gave up after ${seconds} s`);
  else throw error;
  process.exitCode = 7;
}
