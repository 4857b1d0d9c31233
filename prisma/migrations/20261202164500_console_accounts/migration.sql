-- Console sign-in: local accounts (`rapport admin create`) and the session-cookie signing key.
CREATE TYPE "ConsoleRole" AS ENUM ('admin', 'rep');

CREATE TABLE "ConsoleAccount" (
    "id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "ConsoleRole" NOT NULL DEFAULT 'rep',
    "repId" UUID NOT NULL,
    "disabledAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ConsoleAccount_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ConsoleAccount_username_key" ON "ConsoleAccount"("username");

CREATE TABLE "ConsoleSessionKey" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsoleSessionKey_pkey" PRIMARY KEY ("id")
);
