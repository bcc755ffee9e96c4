/** Importing this module registers every gradient rule. */
import './arithmetic.js';
import './elementwise.js';
import './indexing.js';
import './reduce.js';
import './shape.js';
