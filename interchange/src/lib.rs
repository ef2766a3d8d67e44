//! The canonical announcement model and the provincial dialects.
