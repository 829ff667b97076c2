/** `<audio>` as `-audiodev`, `<sound>` cards as `-device`, with HDA codecs on the controller's bus. */
import type { DomainDef, SoundDef } from '../../conf/domain-def.js';
import { keyval, type OptionItem } from './option-value.js';
import { pciProps } from './device-props.js';

const SOUND_DEVICE: Record<SoundDef['model'], string> = {
  ich6: 'intel-hda',
  ich9: 'ich9-intel-hda',
  ac97: 'AC97',
  es1370: 'ES1370',
  sb16: 'sb16',
};

const CODEC_DEVICE = { duplex: 'hda-duplex', micro: 'hda-micro', output: 'hda-output' } as const;

/** The `-audiodev` id of `<audio id=N>`; a card without `<audio id>` plays through the first one. */
function audiodevId(def: DomainDef, s: SoundDef): string {
  return `audio${s.audioId ?? def.devices.audios[0]?.id ?? 1}`;
}

export function audioArgs(def: DomainDef): string[] {
  return def.devices.audios.flatMap((a) => ['-audiodev', keyval(a.type, [['id', `audio${a.id}`]])]);
}

export function soundArgs(def: DomainDef): string[] {
  const args: string[] = [];
  def.devices.sounds.forEach((s, i) => {
    const id = s.alias ?? `sound${i}`;
    const hda = s.model === 'ich6' || s.model === 'ich9';
    const placement: OptionItem[] = s.model === 'sb16' ? [] : pciProps(def, s, `sound ${i}`);
    // An HDA controller only carries codecs; the codecs are what play through the audiodev.
    const audiodev: OptionItem[] = hda ? [] : [['audiodev', audiodevId(def, s)]];
    args.push('-device', keyval(SOUND_DEVICE[s.model], [['id', id], ...audiodev, ...placement]));
    if (!hda) return;
    const codecs = s.codecs.length > 0 ? s.codecs : (['duplex'] as const);
    codecs.forEach((codec, cad) => {
      args.push(
        '-device',
        keyval(CODEC_DEVICE[codec], [
          ['id', `${id}-codec${cad}`],
          ['bus', `${id}.0`],
          ['cad', cad],
          ['audiodev', audiodevId(def, s)],
        ]),
      );
    });
  });
  return args;
}
