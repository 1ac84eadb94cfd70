// Package disclose is socap's disclosure control.
package disclose
