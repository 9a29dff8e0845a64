import { packageBuild } from '../../tsdown.shared.ts';

export default packageBuild({ platform: 'neutral', entry: ['src/index.ts', 'src/http.ts'] });
