package com.dedw3n.platform.db;

/**
 * A page's LIMIT, written into the statement's text instead of bound as a parameter.
 *
 * <p>PostgreSQL plans a prepared statement once for any parameters (its generic plan) only when
 * that plan is estimated no dearer than the plans it makes for the actual values. A LIMIT given as
 * a parameter is estimated as a tenth of the rows, so the generic plan of a newest-first page over
 * a large table is a sequential scan with a sort, costed far above the index walk it really is.
 * PostgreSQL then plans the statement again at every execution: for the timeline (W4) that planning
 * was 40 % of PostgreSQL's time a request. With the LIMIT in the text the generic plan is the index
 * walk, and it is made once per connection and reused.
 *
 * <p>Only a page's own LIMIT is written so, and only in a statement that keeps a parameter: a
 * statement without parameters r2dbc-postgresql sends as a simple query (planned every time, its
 * rows in text), and the per-parent LIMIT of a lateral join (a product's reviews) is estimated
 * small either way. Each distinct limit is a statement of its own in the driver's cache, which is
 * bounded ({@code DatabaseConfiguration}); a page's size is at most {@code Page.MAX_SIZE} + 1.
 */
public final class SqlLimit {

  private SqlLimit() {}

  /** {@code " LIMIT n"}; an int, so nothing but digits ever reaches the SQL. */
  public static String of(int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("a LIMIT is not negative: " + rows);
    }
    return " LIMIT " + rows;
  }
}
