// `prisma dev` is the only caller; Rapport replaced the Node 22 package (see package.json overrides).
exports.startLocalDurableStreamsServer = async function startLocalDurableStreamsServer() {
  throw new Error(
    '`prisma dev` is not available in Rapport: @prisma/streams-local (Node >= 22) is replaced by a stub. Use PGlite (the default) or DATABASE_URL.',
  );
};
