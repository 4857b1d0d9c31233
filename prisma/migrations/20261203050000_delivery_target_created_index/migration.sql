-- A suggestion's place in its customer's burst is read from the deliveries to its target created before it.
CREATE INDEX "Delivery_target_createdAt_idx" ON "Delivery"("target", "createdAt");
