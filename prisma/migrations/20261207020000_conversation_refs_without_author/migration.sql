-- A stored Teams ConversationReference kept `user`: whoever last spoke in the conversation (name, Teams
-- id, Entra object id), in a row that is not about them and outlives their erasure. Proactive posts do
-- not need it. Channels and group chats lose it; a 1:1 chat keeps its one person's ids (no name), by
-- which it is found again for them.
UPDATE "ChannelLink"
SET "conversationRef" = CASE
    WHEN "conversationRef"->'conversation'->>'conversationType' = 'personal'
         AND jsonb_typeof("conversationRef"->'user') = 'object'
         AND "conversationRef"->'user'->>'id' IS NOT NULL
      THEN jsonb_set(
        "conversationRef",
        '{user}',
        jsonb_strip_nulls(jsonb_build_object(
          'id', "conversationRef"->'user'->'id',
          'aadObjectId', "conversationRef"->'user'->'aadObjectId'
        ))
      )
    ELSE "conversationRef" - 'user'
  END
WHERE platform = 'teams'
  AND "conversationRef" IS NOT NULL
  AND jsonb_typeof("conversationRef") = 'object'
  AND "conversationRef"->'user' IS NOT NULL;
