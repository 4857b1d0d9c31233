// Redraws the Teams app icons (connectors/teams/app-package/color.png and outline.png) from code:
//   npx tsx scripts/teams-icons.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_PACKAGE_DIR } from '../connectors/teams/app-package/teams-app-package.ts';
import { colorIcon, outlineIcon } from '../connectors/teams/app-package/rapport-icons.ts';

writeFileSync(join(APP_PACKAGE_DIR, 'color.png'), colorIcon());
writeFileSync(join(APP_PACKAGE_DIR, 'outline.png'), outlineIcon());
console.log(`Wrote color.png (192x192) and outline.png (32x32) to ${APP_PACKAGE_DIR}`);
