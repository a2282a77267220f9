/**
 * What every feature shares: the database pool and the embedded PostgreSQL, GraphQL wiring
 * (scalars, federation, errors, paging), security and sessions, demo data.
 *
 * <p>An open module: features use its sub-packages directly, it uses none of theirs.
 */
@ApplicationModule(type = ApplicationModule.Type.OPEN)
package com.dedw3n.platform;

import org.springframework.modulith.ApplicationModule;
