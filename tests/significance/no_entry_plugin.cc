// A loadable library that is not a significance plugin: it exports a
// function, but not GaiaRegisterSignificance. registry_test loads it to check
// that LoadPlugin reports the missing entry point.
extern "C" int GaiaNotASignificancePlugin() { return 42; }
