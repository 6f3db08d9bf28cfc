import { ValidateBy, type ValidationOptions } from 'class-validator';

const SHORT_NAME = /^:[a-z0-9_+-]{1,32}:$/;
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** One emoji (one grapheme that is a pictograph, a flag or a keycap) or a `:short_name:`. */
export function isReactionEmoji(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false;
  if (SHORT_NAME.test(value)) return true;
  let count = 0;
  for (const _ of graphemes.segment(value)) if (++count > 1) return false;
  return PICTOGRAPH.test(value);
}

/** class-validator rule for `message:react`'s `emoji`. */
export function IsReactionEmoji(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isReactionEmoji',
      validator: {
        validate: (value) => isReactionEmoji(value),
        defaultMessage: () => 'emoji must be one emoji or a :short_name: (a-z 0-9 _ + -, at most 32)',
      },
    },
    options,
  );
}
