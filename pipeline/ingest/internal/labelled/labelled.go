// Package labelled holds what socap's readers of labelled survey files,
// package spss (.sav, .zsav) and package stata (.dta), share: a bounded
// binary decoder for their metadata and the FormatError that places a
// problem in a file.
package labelled
