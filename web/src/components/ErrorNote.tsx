import { ApiError } from '../api';

/** An API error where it happened: the message, the code, and each field and rule it names. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <div role="alert" className="error">
      <strong>{e ? `${e.code} (${e.status})` : 'Error'}:</strong> {error instanceof Error ? error.message : String(error)}
      {e && e.issues.length > 0 && (
        <ul>
          {e.issues.map((i, n) => (
            <li key={n}>
              <code>{i.field || '(body)'}</code> broke <code>{i.rule}</code>: {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
