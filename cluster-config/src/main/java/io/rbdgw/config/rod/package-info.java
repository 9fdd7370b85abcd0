/**
 * ODX ROD tokens shared by the gateways: what a token created by POPULATE TOKEN through one gateway stands for, so
 * that WRITE USING TOKEN through any gateway can honour it, with bounded numbers and lifetimes.
 */
package io.rbdgw.config.rod;
