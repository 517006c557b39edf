/** `ewc-lm inspect --model DIR`: config, parameter count and every tensor (name, shape, dtype) as JSON. */
import type { CommandModule } from 'yargs';
import { describeCheckpoint } from '../../io/checkpoint.ts';
import { gpt2ConfigToJson } from '../../model/gpt2-config.ts';
import { numel } from '../../io/types.ts';
import { printResult } from '../../util/log.ts';

interface Args {
  model: string;
}

const cmd: CommandModule<object, Args> = {
  command: 'inspect',
  describe: 'describe a GPT-2 checkpoint (config, parameter count, tensors) without loading its weights',
  builder: (y) =>
    y.option('model', {
      type: 'string',
      demandOption: true,
      describe: 'checkpoint directory (config.json + model.safetensors) or a .safetensors file beside config.json',
    }) as never,
  handler: (argv) => {
    const d = describeCheckpoint(argv.model);
    const tensors = [...d.tensors].map(([name, t]) => ({
      name,
      shape: t.shape,
      dtype: t.dtype,
      ...(t.sourceName !== name ? { source_name: t.sourceName } : {}),
    }));
    const parameters = tensors.reduce((s, t) => s + numel(t.shape), 0);
    printResult({
      model: d.dir,
      files: d.files.weightFiles,
      config: gpt2ConfigToJson(d.config),
      source_naming: d.sourceNaming,
      parameters,
      tensors,
      ignored: d.ignored,
      metadata: d.metadata,
    });
  },
};
export default cmd;
