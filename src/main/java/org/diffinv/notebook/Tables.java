package org.diffinv.notebook;

import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tablesaw helpers for the notebooks: a table as an HTML string (a row limit, for {@code display(html,
 * "text/html")} in JJava, which has no Tablesaw renderer of its own) and tables built from Java records or rows.
 *
 * <p>Column types: {@code int/Integer} -> IntColumn, {@code long/Long} -> LongColumn, {@code double, float} and
 * their boxes -> DoubleColumn, {@code boolean/Boolean} -> BooleanColumn, anything else (String, enums,
 * {@code MeanStd} ...) -> StringColumn of {@code toString()}; a null value is a missing cell.
 */
public final class Tables {

    /** Default row limit of {@link #toHtml(Table)}. */
    public static final int DEFAULT_MAX_ROWS = 50;

    private Tables() {
    }

    /** {@link #toHtml(Table, int)} with {@link #DEFAULT_MAX_ROWS}. */
    public static String toHtml(Table table) {
        return toHtml(table, DEFAULT_MAX_ROWS);
    }

    /**
     * The first {@code maxRows} rows of a table as an HTML fragment: a caption with the table name, Tablesaw's HTML
     * table, and a note "… k more rows (n in all)" when rows were left out.
     *
     * @param maxRows at least 1
     */
    public static String toHtml(Table table, int maxRows) {
        if (table == null) {
            throw new IllegalArgumentException("table is null");
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
        int n = table.rowCount();
        Table shown = n > maxRows ? table.first(maxRows) : table;
        StringBuilder html = new StringBuilder();
        html.append("<div class=\"diffinv-table\">");
        if (table.name() != null && !table.name().isEmpty()) {
            html.append("<div style=\"font-weight:bold;margin:4px 0\">").append(escape(table.name())).append("</div>");
        }
        html.append(shown.write().toString("html"));
        if (n > maxRows) {
            html.append("<div style=\"font-style:italic;margin:4px 0\">… ").append(n - maxRows)
                    .append(" more rows (").append(n).append(" in all)</div>");
        }
        html.append("</div>");
        return html.toString();
    }

    /**
     * A table with one column per record component (in declaration order) and one row per record.
     *
     * @param name the table name
     * @param records at least one record, all of the same record class
     * @throws IllegalArgumentException if the list is empty or mixes record classes
     */
    public static Table fromRecords(String name, List<? extends Record> records) {
        if (records == null || records.isEmpty()) {
            throw new IllegalArgumentException("need at least one record to infer the columns");
        }
        Class<?> type = records.get(0).getClass();
        RecordComponent[] components = type.getRecordComponents();
        List<String> columns = new ArrayList<>();
        for (RecordComponent c : components) {
            columns.add(c.getName());
        }
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < records.size(); r++) {
            Record rec = records.get(r);
            if (rec == null || rec.getClass() != type) {
                throw new IllegalArgumentException("record " + r + " is " + (rec == null ? "null" : "a "
                        + rec.getClass().getSimpleName()) + "; expected " + type.getSimpleName());
            }
            List<Object> row = new ArrayList<>();
            for (RecordComponent c : components) {
                try {
                    var accessor = c.getAccessor();
                    if (!accessor.canAccess(rec)) {
                        accessor.setAccessible(true); // records declared in a notebook or a test class
                    }
                    row.add(accessor.invoke(rec));
                } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
                    throw new IllegalArgumentException("cannot read component " + c.getName() + " of "
                            + type.getName() + " (is the record public?): " + e, e);
                }
            }
            rows.add(row);
        }
        List<Class<?>> types = new ArrayList<>();
        for (RecordComponent c : components) {
            types.add(c.getType());
        }
        return build(name, columns, types, rows);
    }

    /**
     * A table from column names and rows of values; each column's type is inferred from its first non-null value
     * (all-null columns become string columns), and every other value of the column must be of that type (any
     * number for a numeric column).
     *
     * @param name the table name
     * @param columns distinct column names
     * @param rows rows of exactly {@code columns.size()} values each
     * @throws IllegalArgumentException on duplicate names, a row of the wrong length, or a value whose type does
     *     not fit its column (naming row and column)
     */
    public static Table fromRows(String name, List<String> columns, List<? extends List<?>> rows) {
        if (columns == null || columns.isEmpty()) {
            throw new IllegalArgumentException("need at least one column name");
        }
        List<Class<?>> types = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            Class<?> t = String.class;
            for (List<?> row : rows) {
                if (row != null && row.size() == columns.size() && row.get(c) != null) {
                    t = row.get(c).getClass();
                    break;
                }
            }
            types.add(t);
        }
        for (int r = 0; r < rows.size(); r++) {
            List<?> row = rows.get(r);
            if (row == null || row.size() != columns.size()) {
                continue; // reported by build
            }
            for (int c = 0; c < columns.size(); c++) {
                Object v = row.get(c);
                Class<?> t = types.get(c);
                boolean numeric = Number.class.isAssignableFrom(t);
                if (v != null && !(numeric ? v instanceof Number : t.isInstance(v))) {
                    throw new IllegalArgumentException("row " + r + ", column '" + columns.get(c) + "': value " + v
                            + " (" + v.getClass().getSimpleName() + ") differs from the column's type "
                            + t.getSimpleName() + " (inferred from its first value)");
                }
            }
        }
        return build(name, columns, types, rows);
    }

    private static Table build(String name, List<String> columns, List<Class<?>> types, List<? extends List<?>> rows) {
        Set<String> seen = new HashSet<>();
        for (String c : columns) {
            if (c == null || c.isEmpty() || !seen.add(c)) {
                throw new IllegalArgumentException("column names must be distinct and non-empty, got " + columns);
            }
        }
        List<Column<?>> cols = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            cols.add(column(columns.get(c), types.get(c)));
        }
        Table table = Table.create(name == null ? "" : name);
        for (Column<?> col : cols) {
            table.addColumns(col);
        }
        for (int r = 0; r < rows.size(); r++) {
            List<?> row = rows.get(r);
            if (row == null || row.size() != columns.size()) {
                throw new IllegalArgumentException("row " + r + " has " + (row == null ? "no" : row.size())
                        + " values for " + columns.size() + " columns " + columns);
            }
            for (int c = 0; c < columns.size(); c++) {
                append(cols.get(c), row.get(c), r);
            }
        }
        return table;
    }

    private static Column<?> column(String name, Class<?> t) {
        if (t == int.class || t == Integer.class || t == short.class || t == Short.class) {
            return IntColumn.create(name);
        }
        if (t == long.class || t == Long.class) {
            return LongColumn.create(name);
        }
        if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
            return DoubleColumn.create(name);
        }
        if (t == boolean.class || t == Boolean.class) {
            return BooleanColumn.create(name);
        }
        return StringColumn.create(name);
    }

    private static void append(Column<?> col, Object v, int row) {
        if (v == null) {
            col.appendMissing();
            return;
        }
        try {
            if (col instanceof IntColumn ic) {
                checkIntegral(v, col, row);
                long l = ((Number) v).longValue();
                if (l != (int) l) {
                    throw new IllegalArgumentException("row " + row + ", column '" + col.name() + "': value " + v
                            + " does not fit an int column");
                }
                ic.append((int) l);
            } else if (col instanceof LongColumn lc) {
                checkIntegral(v, col, row);
                lc.append(((Number) v).longValue());
            } else if (col instanceof DoubleColumn dc) {
                dc.append(((Number) v).doubleValue());
            } else if (col instanceof BooleanColumn bc) {
                bc.append((Boolean) v);
            } else {
                ((StringColumn) col).append(v.toString());
            }
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("row " + row + ", column '" + col.name() + "': value " + v + " ("
                    + v.getClass().getSimpleName() + ") does not fit a " + col.type() + " column", e);
        }
    }

    private static void checkIntegral(Object v, Column<?> col, int row) {
        if (v instanceof Double || v instanceof Float) {
            throw new IllegalArgumentException("row " + row + ", column '" + col.name() + "': value " + v
                    + " is not an integer but the column holds integers");
        }
    }

    /** Escapes {@code & < > "} for HTML text and attributes. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
