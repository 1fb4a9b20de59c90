package migrations

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/jsonpack"
	"github.com/kassa-pos/kassa/internal/text"
)

// Migration 10 keeps the import log's order JSON compressed, many orders to a frame.
//
// Until now each row of import_outcomes kept its order's JSON as text in raw, compressed
// by PostgreSQL one order at a time (lz4 halves a Shopify order). It was most of the bytes
// an import wrote: an order is about 4.5 KB of JSON against a few hundred bytes of sale.
// The orders an import writes together are now laid one after the other and compressed
// together with zstd by kassa (a page of a shop's orders shrinks about twelve times), in a
// row of import_order_json; each outcome names its frame and where its order lies in the
// frame's content. The bytes are those Shopify sent, exactly: unlike text, bytea keeps a
// payload that is not valid UTF-8 or holds a NUL as it came. `kassa imports order` prints
// an order's JSON back.
//
// This migration is in Go because it moves the JSON already logged: up packs the raw text
// of each run's rows into frames, down puts each order's JSON back as text.

const frameSchemaUp = `
CREATE TABLE import_order_json (
    id     bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES import_runs (id),
    -- the orders' JSON as Shopify sent it, one after the other, in one zstd frame
    frame  bytea NOT NULL,
    -- the length of the frame's content, decompressed
    size   integer NOT NULL CHECK (size >= 0)
);
-- The frame is compressed already: PostgreSQL stores it as it is.
ALTER TABLE import_order_json ALTER COLUMN frame SET STORAGE EXTERNAL;
CREATE INDEX import_order_json_run ON import_order_json (run_id);
ALTER TABLE import_outcomes
    ADD COLUMN json_id     bigint REFERENCES import_order_json (id),
    ADD COLUMN json_offset integer,
    ADD COLUMN json_length integer,
    ADD CONSTRAINT import_outcomes_json_check CHECK (
        (json_id IS NULL AND json_offset IS NULL AND json_length IS NULL)
        OR (json_id IS NOT NULL AND json_offset >= 0 AND json_length > 0));
`

const frameSchemaDown = `
ALTER TABLE import_outcomes DROP COLUMN json_id, DROP COLUMN json_offset, DROP COLUMN json_length;
DROP TABLE import_order_json;
`

// moveChunk is how many outcome rows the migration moves per statement.
const moveChunk = 500

func packImportLog(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, frameSchemaUp); err != nil {
		return err
	}
	var afterRun, afterID int64
	for {
		ids, runs, raws, err := rawChunk(ctx, tx, afterRun, afterID)
		if err != nil || len(ids) == 0 {
			if err == nil {
				_, err = tx.ExecContext(ctx, `ALTER TABLE import_outcomes DROP COLUMN raw`)
			}
			return err
		}
		afterRun, afterID = runs[len(ids)-1], ids[len(ids)-1]
		// One frame per run in the chunk.
		offsets, lengths, frameIDs := make([]int64, len(ids)), make([]int64, len(ids)), make([]int64, len(ids))
		for start := 0; start < len(ids); {
			end := start
			var p jsonpack.Packer
			for ; end < len(ids) && runs[end] == runs[start]; end++ {
				off, n := p.Add([]byte(raws[end]))
				offsets[end], lengths[end] = int64(off), int64(n)
			}
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO import_order_json (run_id, frame, size) VALUES ($1, $2, $3) RETURNING id`,
				runs[start], p.Frame(), p.Len()).Scan(&id)
			if err != nil {
				return fmt.Errorf("pack the import log's order JSON: %w", err)
			}
			for i := start; i < end; i++ {
				frameIDs[i] = id
			}
			start = end
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE import_outcomes o SET json_id = t.f, json_offset = t.off, json_length = t.n
			FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[]) AS t(id, f, off, n)
			WHERE o.id = t.id`, pq.Array(ids), pq.Array(frameIDs), pq.Array(offsets), pq.Array(lengths))
		if err != nil {
			return fmt.Errorf("point the import log at its order JSON: %w", err)
		}
	}
}

// rawChunk reads the next rows that keep their order's JSON as text, by run and in the
// order the run logged them, after the row afterID of run afterRun.
func rawChunk(ctx context.Context, tx *sql.Tx, afterRun, afterID int64) (ids, runs []int64, raws []string, err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, run_id, raw FROM import_outcomes
		WHERE (run_id, id) > ($1, $2) AND raw IS NOT NULL AND raw <> ''
		ORDER BY run_id, id LIMIT $3`,
		afterRun, afterID, moveChunk)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read the import log's order JSON: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, run int64
		var raw string
		if err := rows.Scan(&id, &run, &raw); err != nil {
			return nil, nil, nil, err
		}
		ids, runs, raws = append(ids, id), append(runs, run), append(raws, raw)
	}
	return ids, runs, raws, rows.Err()
}

func unpackImportLog(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `ALTER TABLE import_outcomes ADD COLUMN raw text`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE import_outcomes ALTER COLUMN raw SET COMPRESSION lz4`); err != nil {
		return err
	}
	var after int64
	// Frames read lately: the rows of a frame follow each other, or interleave with those
	// of the few runs (of other shops) that ran at the same time.
	contents := map[int64][]byte{}
	for {
		var ids, frames, offsets, lengths []int64
		rows, err := tx.QueryContext(ctx, `
			SELECT id, json_id, json_offset, json_length FROM import_outcomes WHERE id > $1 AND json_id IS NOT NULL ORDER BY id LIMIT $2`,
			after, moveChunk)
		if err != nil {
			return fmt.Errorf("read the import log: %w", err)
		}
		for rows.Next() {
			var id, f, off, n int64
			if err := rows.Scan(&id, &f, &off, &n); err != nil {
				rows.Close()
				return err
			}
			ids, frames, offsets, lengths = append(ids, id), append(frames, f), append(offsets, off), append(lengths, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			_, err := tx.ExecContext(ctx, frameSchemaDown)
			return err
		}
		after = ids[len(ids)-1]
		raws := make([]string, len(ids))
		for i := range ids {
			content, ok := contents[frames[i]]
			if !ok {
				var frame []byte
				if err := tx.QueryRowContext(ctx, `SELECT frame FROM import_order_json WHERE id = $1`, frames[i]).Scan(&frame); err != nil {
					return fmt.Errorf("read order JSON frame %d: %w", frames[i], err)
				}
				if content, err = jsonpack.Unpack(frame); err != nil {
					return fmt.Errorf("order JSON frame %d: %w", frames[i], err)
				}
				if len(contents) >= 16 {
					clear(contents)
				}
				contents[frames[i]] = content
			}
			doc, err := jsonpack.Doc(content, int(offsets[i]), int(lengths[i]))
			if err != nil {
				return fmt.Errorf("order JSON of import log row %d: %w", ids[i], err)
			}
			raws[i] = text.Valid(string(doc)) // as the text column held it before
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE import_outcomes o SET raw = t.raw FROM unnest($1::bigint[], $2::text[]) AS t(id, raw) WHERE o.id = t.id`,
			pq.Array(ids), pq.Array(raws))
		if err != nil {
			return fmt.Errorf("put the order JSON back in the import log: %w", err)
		}
	}
}
