-- CreateExtension
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "Company_normalizedName_trgm_idx" ON "Company" USING GIN ("normalizedName" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Contact_normalizedName_trgm_idx" ON "Contact" USING GIN ("normalizedName" gin_trgm_ops);
