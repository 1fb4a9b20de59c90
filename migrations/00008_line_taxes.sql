-- A sale line keeps its taxes itself, as three arrays of equal length (title, rate and
-- amount of each tax, in order), instead of one row per tax in sale_line_taxes.
--
-- A line has one to three taxes and they are only ever read with the line. As rows of a
-- table of their own they were the largest table an import writes (about three per sale),
-- each with its foreign key check and index entry: a quarter of the time an import spent
-- writing sales. The arrays keep the exact types (numeric(7,4) rates, numeric(14,2)
-- amounts) and the CHECK below keeps the rules the table had: no missing value, nothing
-- negative, one rate and one amount per title.

-- +goose Up
ALTER TABLE sale_lines
    ADD COLUMN tax_titles  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN tax_rates   numeric(7,4)[] NOT NULL DEFAULT '{}',
    ADD COLUMN tax_amounts numeric(14,2)[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT sale_lines_taxes_check CHECK (
        coalesce(array_ndims(tax_titles), 1) = 1
        AND coalesce(array_ndims(tax_rates), 1) = 1
        AND coalesce(array_ndims(tax_amounts), 1) = 1
        AND cardinality(tax_rates) = cardinality(tax_titles)
        AND cardinality(tax_amounts) = cardinality(tax_titles)
        AND array_position(tax_titles, NULL) IS NULL
        AND array_position(tax_rates, NULL) IS NULL
        AND array_position(tax_amounts, NULL) IS NULL
        AND 0 <= ALL (tax_rates)
        AND 0 <= ALL (tax_amounts));
UPDATE sale_lines l
SET tax_titles = t.titles, tax_rates = t.rates, tax_amounts = t.amounts
FROM (SELECT sale_line_id, array_agg(title ORDER BY rate, title) AS titles,
             array_agg(rate ORDER BY rate, title) AS rates, array_agg(amount ORDER BY rate, title) AS amounts
      FROM sale_line_taxes GROUP BY sale_line_id) t
WHERE l.id = t.sale_line_id;
DROP TABLE sale_line_taxes;

-- +goose Down
CREATE TABLE sale_line_taxes (
    sale_line_id bigint NOT NULL REFERENCES sale_lines (id),
    title        text NOT NULL DEFAULT '',
    rate         numeric(7,4) NOT NULL CHECK (rate >= 0),
    amount       numeric(14,2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (sale_line_id, title, rate)
);
INSERT INTO sale_line_taxes (sale_line_id, title, rate, amount)
SELECT l.id, t.title, t.rate, sum(t.amount)
FROM sale_lines l, unnest(l.tax_titles, l.tax_rates, l.tax_amounts) AS t(title, rate, amount)
GROUP BY l.id, t.title, t.rate;
ALTER TABLE sale_lines DROP COLUMN tax_titles, DROP COLUMN tax_rates, DROP COLUMN tax_amounts;
