import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild({ platform: 'node', entry: ['src/index.ts', 'src/cli.ts'] });
