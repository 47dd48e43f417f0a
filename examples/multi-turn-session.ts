// A conversation: every send resumes the same CLI session, so the agent remembers the earlier turns.
import { Clinvoker } from "clinvoker";

const backend = process.argv[2] ?? "claude";
const clinvk = new Clinvoker();
const chat = clinvk.session({ backend });
for (const prompt of ["Remember the number 42.", "What number did I ask you to remember?"]) {
  const answer = await chat.send(prompt);
  console.log(`> ${prompt}\n${answer.text}\n`);
}
console.log(
  `session ${chat.id} (backend session ${chat.backendSessionId}); resume it with: clinvk resume ${chat.id?.slice(0, 8)}`,
);
