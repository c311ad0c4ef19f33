export { MlflowClient, filterValue, isAlreadyExists, isMissing, type ArtifactFile } from './client.js';
export type {
  MlflowFileInfo,
  MlflowMetric,
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRun,
} from './schemas.js';
