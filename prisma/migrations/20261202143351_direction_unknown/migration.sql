-- A chat message whose author the platform could not name yet (Teams getMember failed): held as
-- `unknown` (not classified, no contact) and decided once the lookup succeeds, never guessed as the
-- customer's words.
ALTER TYPE "Direction" ADD VALUE IF NOT EXISTS 'unknown';
