/**
 * The gateway's Micrometer metrics (per LUN and per gateway) and the Prometheus endpoint that serves them.
 */
package io.rbdgw.node.metrics;
