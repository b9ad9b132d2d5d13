// One place that builds ajv instances (ajv 8 + ajv-formats), papering over their CommonJS default exports.
import AjvModule, { type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

type AjvCtor = typeof AjvModule.default;
export type AjvInstance = InstanceType<AjvCtor>;

const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? AjvModule) as AjvCtor;
type AddFormats = (ajv: AjvInstance) => AjvInstance;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export function createAjv(options: Options = {}): AjvInstance {
  const ajv = new Ajv({ allErrors: true, ...options });
  addFormats(ajv);
  return ajv;
}
