-- CreateEnum
CREATE TYPE "ChannelKind" AS ENUM ('slack', 'teams', 'email', 'console', 'call', 'meeting', 'note');

-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('inbound', 'outbound', 'internal');

-- CreateEnum
CREATE TYPE "FollowUpStatus" AS ENUM ('suggested', 'open', 'done', 'snoozed', 'dismissed');

-- CreateEnum
CREATE TYPE "FollowUpSource" AS ENUM ('suggested', 'manual');

-- CreateEnum
CREATE TYPE "Platform" AS ENUM ('slack', 'teams', 'email', 'console');

-- CreateTable
CREATE TABLE "Company" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "normalizedName" TEXT NOT NULL,
    "domains" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Company_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" UUID NOT NULL,
    "companyId" UUID,
    "name" TEXT NOT NULL,
    "normalizedName" TEXT NOT NULL,
    "emails" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "phones" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "platformUserIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rep" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "platformUserIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Rep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CommunicationRecord" (
    "id" UUID NOT NULL,
    "companyId" UUID,
    "channelKind" "ChannelKind" NOT NULL,
    "subject" TEXT,
    "sourceKey" TEXT NOT NULL,
    "threadingNote" TEXT,
    "loggedByRepId" UUID,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "lastMessageAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CommunicationRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" UUID NOT NULL,
    "recordId" UUID NOT NULL,
    "externalId" TEXT NOT NULL,
    "direction" "Direction" NOT NULL,
    "contactId" UUID,
    "authorName" TEXT,
    "authorEmail" TEXT,
    "text" TEXT NOT NULL,
    "cleanText" TEXT NOT NULL,
    "sentAt" TIMESTAMPTZ(3) NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Classification" (
    "id" UUID NOT NULL,
    "recordId" UUID NOT NULL,
    "messageId" UUID,
    "label" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "scores" JSONB NOT NULL DEFAULT '{}',
    "sentiment" DOUBLE PRECISION,
    "entities" JSONB NOT NULL DEFAULT '[]',
    "modelVersion" TEXT NOT NULL,
    "correctedLabel" TEXT,
    "correctedBy" TEXT,
    "correctedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Classification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FollowUp" (
    "id" UUID NOT NULL,
    "number" SERIAL NOT NULL,
    "companyId" UUID,
    "recordId" UUID,
    "title" TEXT NOT NULL,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "assigneeRepId" UUID,
    "status" "FollowUpStatus" NOT NULL DEFAULT 'open',
    "source" "FollowUpSource" NOT NULL,
    "priority" TEXT NOT NULL DEFAULT 'normal',
    "reason" TEXT,
    "remindTarget" TEXT,
    "messageRef" TEXT,
    "escalatedAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "FollowUp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelLink" (
    "id" UUID NOT NULL,
    "platform" "Platform" NOT NULL,
    "channelRef" TEXT NOT NULL,
    "companyId" UUID,
    "autoLog" BOOLEAN NOT NULL DEFAULT true,
    "conversationRef" JSONB,
    "digestTime" TEXT,
    "timezone" TEXT,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ChannelLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailboxCursor" (
    "id" UUID NOT NULL,
    "mailbox" TEXT NOT NULL,
    "folder" TEXT NOT NULL,
    "uidValidity" BIGINT NOT NULL,
    "lastUid" INTEGER NOT NULL DEFAULT 0,
    "highestModseq" BIGINT,
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxCursor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Model" (
    "id" UUID NOT NULL,
    "version" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "labels" TEXT[],
    "featurizer" JSONB NOT NULL,
    "metrics" JSONB NOT NULL DEFAULT '{}',
    "trainingSummary" JSONB NOT NULL DEFAULT '{}',
    "weights" BYTEA NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LabeledExample" (
    "id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'correction',
    "recordId" UUID,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LabeledExample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tombstone" (
    "id" UUID NOT NULL,
    "keyHash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "erasedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "auditId" UUID,

    CONSTRAINT "Tombstone_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT,
    "platform" TEXT,
    "subject" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "externalId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackInstallation" (
    "id" UUID NOT NULL,
    "teamId" TEXT,
    "enterpriseId" TEXT,
    "installKey" TEXT NOT NULL,
    "botUserId" TEXT,
    "botToken" TEXT,
    "installation" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlackInstallation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Company_normalizedName_idx" ON "Company"("normalizedName");

-- CreateIndex
CREATE INDEX "Company_domains_idx" ON "Company" USING GIN ("domains");

-- CreateIndex
CREATE INDEX "Contact_companyId_idx" ON "Contact"("companyId");

-- CreateIndex
CREATE INDEX "Contact_normalizedName_idx" ON "Contact"("normalizedName");

-- CreateIndex
CREATE INDEX "Contact_emails_idx" ON "Contact" USING GIN ("emails");

-- CreateIndex
CREATE UNIQUE INDEX "Rep_email_key" ON "Rep"("email");

-- CreateIndex
CREATE INDEX "Rep_platformUserIds_idx" ON "Rep" USING GIN ("platformUserIds");

-- CreateIndex
CREATE UNIQUE INDEX "CommunicationRecord_sourceKey_key" ON "CommunicationRecord"("sourceKey");

-- CreateIndex
CREATE INDEX "CommunicationRecord_companyId_lastMessageAt_idx" ON "CommunicationRecord"("companyId", "lastMessageAt");

-- CreateIndex
CREATE UNIQUE INDEX "Message_externalId_key" ON "Message"("externalId");

-- CreateIndex
CREATE INDEX "Message_recordId_sentAt_idx" ON "Message"("recordId", "sentAt");

-- CreateIndex
CREATE INDEX "Message_contactId_idx" ON "Message"("contactId");

-- CreateIndex
CREATE INDEX "Classification_recordId_createdAt_idx" ON "Classification"("recordId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Classification_recordId_messageId_key" ON "Classification"("recordId", "messageId");

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_number_key" ON "FollowUp"("number");

-- CreateIndex
CREATE INDEX "FollowUp_status_dueAt_idx" ON "FollowUp"("status", "dueAt");

-- CreateIndex
CREATE INDEX "FollowUp_assigneeRepId_status_idx" ON "FollowUp"("assigneeRepId", "status");

-- CreateIndex
CREATE INDEX "FollowUp_companyId_status_idx" ON "FollowUp"("companyId", "status");

-- CreateIndex
CREATE INDEX "ChannelLink_companyId_idx" ON "ChannelLink"("companyId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelLink_platform_channelRef_key" ON "ChannelLink"("platform", "channelRef");

-- CreateIndex
CREATE UNIQUE INDEX "MailboxCursor_mailbox_folder_key" ON "MailboxCursor"("mailbox", "folder");

-- CreateIndex
CREATE UNIQUE INDEX "Model_version_key" ON "Model"("version");

-- CreateIndex
CREATE INDEX "Model_active_idx" ON "Model"("active");

-- CreateIndex
CREATE INDEX "LabeledExample_createdAt_idx" ON "LabeledExample"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "LabeledExample_recordId_source_key" ON "LabeledExample"("recordId", "source");

-- CreateIndex
CREATE UNIQUE INDEX "Tombstone_keyHash_key" ON "Tombstone"("keyHash");

-- CreateIndex
CREATE INDEX "AuditLog_createdAt_idx" ON "AuditLog"("createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_action_createdAt_idx" ON "AuditLog"("action", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_key_key" ON "Delivery"("key");

-- CreateIndex
CREATE UNIQUE INDEX "SlackInstallation_installKey_key" ON "SlackInstallation"("installKey");

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CommunicationRecord" ADD CONSTRAINT "CommunicationRecord_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "CommunicationRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Classification" ADD CONSTRAINT "Classification_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "CommunicationRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "CommunicationRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_assigneeRepId_fkey" FOREIGN KEY ("assigneeRepId") REFERENCES "Rep"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelLink" ADD CONSTRAINT "ChannelLink_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;
