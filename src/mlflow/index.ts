export {
  MlflowClient,
  filterValue,
  isAlreadyExists,
  isMissing,
  type ArtifactFile,
  type ArtifactLocation,
} from './client.js';
export { SignedArtifactUrl } from './signed-url.js';
export type {
  MlflowFileInfo,
  MlflowMetric,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRun,
} from './schemas.js';
