/**
 * Source locations for "jump to source": `code.*` attributes, stack traces,
 * exceptions, decorated entity definitions, and mapping recorded paths onto
 * workspace files.
 */

export { sourceLocationOf } from '../derive';
export type { SourceLocation } from '../model';
export {
  fileUrlToPath,
  innermostFirst,
  isLibraryFrame,
  parseStackTrace,
  relevantFrame,
  stackLanguageOf,
  type StackFrame,
  type StackLanguage,
} from './stack';
export { exceptionOf, exceptionsOf, type ExceptionInfo, type ExceptionSource } from './exception';
export {
  candidatePaths,
  mapToWorkspace,
  normalisePath,
  WorkspaceFileIndex,
  type WorkspaceIndexOptions,
  type WorkspaceMatch,
} from './workspace';
export {
  ENTITY_KINDS,
  entityDefinitionPatterns,
  entityRefOf,
  findEntityDefinition,
  findEntityDefinitions,
  splitEntitySpanName,
  type EntityDefinition,
  type EntityMatchKind,
  type EntityPattern,
  type EntityRef,
  type FindEntityOptions,
} from './entity';
export { jumpTargetsOf, type JumpSource, type JumpTarget } from './jump';
