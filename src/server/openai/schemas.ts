/**
 * Request bodies of the OpenAI surface. Fields that the SDKs send are typed (a wrong type is a 400)
 * and unknown ones pass, because the SDKs add fields faster than any server follows; what a CLI
 * cannot honour is decided in params.ts, field by field.
 */
import Type, { type Static, type TSchema } from "typebox";

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const open = { additionalProperties: true } as const;

const Part = Type.Object({ type: Type.String(), text: Type.Optional(Type.String()) }, open);

export const ChatMessage = Type.Object(
  {
    role: Type.String({ minLength: 1 }),
    content: nullable(Type.Union([Type.String(), Type.Array(Part)])),
    name: Type.Optional(Type.String()),
    tool_calls: nullable(Type.Array(Type.Unknown())),
    function_call: nullable(Type.Unknown()),
  },
  open,
);
export type ChatMessage = Static<typeof ChatMessage>;

export const ChatBody = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(ChatMessage, { minItems: 1 }),
    stream: nullable(Type.Boolean()),
    stream_options: nullable(Type.Object({ include_usage: nullable(Type.Boolean()) }, open)),
    n: nullable(Type.Integer({ minimum: 1 })),
    temperature: nullable(Type.Number()),
    top_p: nullable(Type.Number()),
    max_tokens: nullable(Type.Integer()),
    max_completion_tokens: nullable(Type.Integer()),
    stop: nullable(Type.Union([Type.String(), Type.Array(Type.String())])),
    presence_penalty: nullable(Type.Number()),
    frequency_penalty: nullable(Type.Number()),
    logit_bias: nullable(Type.Record(Type.String(), Type.Number())),
    logprobs: nullable(Type.Boolean()),
    top_logprobs: nullable(Type.Integer({ minimum: 0 })),
    seed: nullable(Type.Integer()),
    user: Type.Optional(Type.String()),
    tools: nullable(Type.Array(Type.Unknown())),
    tool_choice: nullable(Type.Union([Type.String(), Type.Object({ type: Type.String() }, open)])),
    functions: nullable(Type.Array(Type.Unknown())),
    function_call: nullable(Type.Union([Type.String(), Type.Object({}, open)])),
    parallel_tool_calls: nullable(Type.Boolean()),
    response_format: nullable(Type.Object({ type: Type.String() }, open)),
    modalities: nullable(Type.Array(Type.String())),
    audio: nullable(Type.Object({}, open)),
    metadata: nullable(Type.Record(Type.String(), Type.String())),
    store: nullable(Type.Boolean()),
    reasoning_effort: nullable(Type.String()),
    service_tier: nullable(Type.String()),
  },
  open,
);
export type ChatBody = Static<typeof ChatBody>;

const InputItem = Type.Object(
  {
    type: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Part)])),
  },
  open,
);
export type InputItem = Static<typeof InputItem>;

export const ResponsesBody = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(InputItem)])),
    instructions: nullable(Type.String()),
    previous_response_id: nullable(Type.String()),
    stream: nullable(Type.Boolean()),
    store: nullable(Type.Boolean()),
    background: nullable(Type.Boolean()),
    conversation: nullable(Type.Union([Type.String(), Type.Object({}, open)])),
    prompt: nullable(Type.Object({}, open)),
    temperature: nullable(Type.Number()),
    top_p: nullable(Type.Number()),
    max_output_tokens: nullable(Type.Integer()),
    max_tool_calls: nullable(Type.Integer()),
    tools: nullable(Type.Array(Type.Unknown())),
    tool_choice: nullable(Type.Union([Type.String(), Type.Object({ type: Type.String() }, open)])),
    parallel_tool_calls: nullable(Type.Boolean()),
    text: nullable(Type.Object({ format: Type.Optional(Type.Object({ type: Type.String() }, open)) }, open)),
    reasoning: nullable(Type.Object({}, open)),
    metadata: nullable(Type.Record(Type.String(), Type.String())),
    include: nullable(Type.Array(Type.String())),
    truncation: nullable(Type.String()),
    top_logprobs: nullable(Type.Integer({ minimum: 0 })),
    user: Type.Optional(Type.String()),
    service_tier: nullable(Type.String()),
  },
  open,
);
export type ResponsesBody = Static<typeof ResponsesBody>;
