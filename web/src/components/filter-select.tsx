// A list filter kept in the URL, as every listing page has them: choosing a value sets its query parameter
// (the "any" choice, when there is one, clears it), and the page reads it back from the URL.
import { setQuery } from '../router.ts';

export function FilterSelect(props: {
  label: string;
  name: string;
  value: string;
  /** The text of the empty choice (no filter); without it there is none. */
  any?: string;
  /** [value, text] pairs; undefined while they load. */
  options: readonly (readonly [string, string])[] | undefined;
}) {
  const { name } = props;
  return (
    <label>
      {props.label}
      <select name={name} value={props.value} onChange={(e) => setQuery({ [name]: e.currentTarget.value })}>
        {props.any !== undefined && <option value="">{props.any}</option>}
        {props.options?.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
