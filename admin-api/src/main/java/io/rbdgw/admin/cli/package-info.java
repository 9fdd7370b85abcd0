/**
 * The {@code rbdgw} command-line client over the admin API, and the password-hash helper.
 */
package io.rbdgw.admin.cli;
