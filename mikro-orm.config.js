// The MikroORM CLI's configuration file (package.json "mikro-orm".configPaths names it). The CLI
// loads JavaScript; for TypeScript it would register ts-node, which this project does not use
// ("useTsNode": false). So this file registers tsx, the loader `npm start` runs the sources
// with (tsx's documented `tsx/esm/api` register()), and hands over to the TypeScript
// configuration, from which the migrations and seeders are then imported as .ts files too.
import { register } from 'tsx/esm/api';

register();
export default (await import('./src/mikro-orm.config.ts')).default;
