/**
 * Request bodies of the Anthropic surface. Fields the SDKs send are typed (a wrong type is a 400);
 * unknown ones pass, since the API grows. What a CLI cannot honour is decided in messages.ts.
 */
import Type, { type Static, type TSchema } from "typebox";

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const open = { additionalProperties: true } as const;

const Block = Type.Object({ type: Type.String({ minLength: 1 }), text: Type.Optional(Type.String()) }, open);
export type Block = Static<typeof Block>;

const TextBlock = Type.Object({ type: Type.Literal("text"), text: Type.String() }, open);

export const MessageParam = Type.Object(
  {
    role: Type.String({ minLength: 1 }),
    content: Type.Union([Type.String(), Type.Array(Block)]),
  },
  open,
);
export type MessageParam = Static<typeof MessageParam>;

const common = {
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(MessageParam, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(TextBlock)])),
  tools: Type.Optional(Type.Array(Type.Object({}, open))),
  tool_choice: Type.Optional(Type.Object({ type: Type.String() }, open)),
  thinking: Type.Optional(Type.Object({ type: Type.String() }, open)),
};

export const MessagesBody = Type.Object(
  {
    ...common,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number()),
    top_p: Type.Optional(Type.Number()),
    top_k: Type.Optional(Type.Integer()),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    metadata: Type.Optional(Type.Object({ user_id: nullable(Type.String()) }, open)),
    service_tier: Type.Optional(Type.String()),
  },
  open,
);
export type MessagesBody = Static<typeof MessagesBody>;

export const CountTokensBody = Type.Object(common, open);
export type CountTokensBody = Static<typeof CountTokensBody>;
