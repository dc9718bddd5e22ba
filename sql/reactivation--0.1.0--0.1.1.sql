/* reactivation--0.1.0--0.1.1.sql */

-- complain if script is sourced in psql, rather than through ALTER EXTENSION
\echo Use "ALTER EXTENSION reactivation UPDATE TO '0.1.1'" to load this file. \quit
