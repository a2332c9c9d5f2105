// The data spec grammar: sources, options, defaults, and errors that name
// the field.
#include "apps/cnn/data_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace gaia::cnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ErrorOf(const std::string& spec) {
  absl::StatusOr<DataSpec> s = ParseDataSpec(spec);
  EXPECT_FALSE(s.ok()) << spec;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("data spec '" + spec + "'"));
  return std::string(s.status().message());
}

TEST(CnnDataSpec, FashionMnistDefaults) {
  absl::StatusOr<DataSpec> s = ParseDataSpec("fashion-mnist");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source, DataSource::kFashionMnist);
  EXPECT_EQ(s->dc, 0u);
  EXPECT_EQ(s->partition.dcs, 1u);
  EXPECT_EQ(s->partition.split, DcSplit::kIid);
  EXPECT_EQ(s->partition.seed, 1u);
  EXPECT_EQ(s->limit, 0u);
  EXPECT_EQ(s->test_limit, 0u);
  EXPECT_EQ(s->norm, NormChoice::kFashionMnist);
  EXPECT_EQ(s->classes, 10u);
  EXPECT_EQ(FormatDataSpec(*s),
            "fashion-mnist,dc=0,dcs=1,split=iid,seed=1,limit=0,test_limit=0,norm=fashion-mnist");
}

TEST(CnnDataSpec, EveryOption) {
  absl::StatusOr<DataSpec> s = ParseDataSpec(
      "fashion-mnist, dc=4,dcs=5 ,split=labels,classes_per_dc=3,seed=42,limit=600,"
      "test_limit=100,norm=none");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->dc, 4u);
  EXPECT_EQ(s->partition.dcs, 5u);
  EXPECT_EQ(s->partition.split, DcSplit::kLabels);
  EXPECT_EQ(s->partition.classes_per_dc, 3u);
  EXPECT_EQ(s->partition.seed, 42u);
  EXPECT_EQ(s->limit, 600u);
  EXPECT_EQ(s->test_limit, 100u);
  EXPECT_EQ(s->norm, NormChoice::kNone);
}

TEST(CnnDataSpec, MnistIdxTakesADirectoryAndClasses) {
  absl::StatusOr<DataSpec> s = ParseDataSpec("mnist-idx:/data/mnist,classes=4,split=labels");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->source, DataSource::kMnistIdx);
  EXPECT_EQ(s->dir, "/data/mnist");
  EXPECT_EQ(s->classes, 4u);
  EXPECT_EQ(s->norm, NormChoice::kTrain);  // a user's files: their own statistics
  EXPECT_EQ(ClassesPerDc(s->partition, s->classes), 4u);
  s = ParseDataSpec("mnist-idx:/d,norm=mnist");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->norm, NormChoice::kMnist);
  EXPECT_EQ(FormatDataSpec(*s),
            "mnist-idx:/d,classes=10,dc=0,dcs=1,split=iid,seed=1,limit=0,test_limit=0,"
            "norm=mnist");
}

TEST(CnnDataSpec, SourceErrors) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("unknown source ''"));
  EXPECT_THAT(ErrorOf("cifar10,dcs=2"),
              AllOf(HasSubstr("unknown source 'cifar10'"), HasSubstr("mnist-idx:DIR")));
  EXPECT_THAT(ErrorOf("mnist-idx"), HasSubstr("mnist-idx needs a directory"));
  EXPECT_THAT(ErrorOf("mnist-idx:,dcs=2"), HasSubstr("mnist-idx needs a directory"));
  EXPECT_THAT(ErrorOf("fashion-mnist:/tmp/x"), HasSubstr("fashion-mnist takes no path"));
}

TEST(CnnDataSpec, ValueErrorsNameTheField) {
  EXPECT_THAT(ErrorOf("fashion-mnist,dc=2,dcs=2"), HasSubstr("dc=2: must be less than dcs=2"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dc=1"), HasSubstr("dc=1: must be less than dcs=1"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dcs=0"), HasSubstr("dcs=0: must be in [1, 65536]"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dcs=two"),
              HasSubstr("dcs=two: expected a non-negative integer"));
  EXPECT_THAT(ErrorOf("fashion-mnist,seed=-1"),
              HasSubstr("seed=-1: expected a non-negative integer"));
  EXPECT_THAT(ErrorOf("fashion-mnist,limit=1e3"), HasSubstr("limit=1e3: expected"));
  EXPECT_THAT(ErrorOf("fashion-mnist,test_limit="), HasSubstr("test_limit=: expected"));
  EXPECT_THAT(ErrorOf("fashion-mnist,split=random"),
              HasSubstr("split=random: expected one of iid|labels"));
  EXPECT_THAT(ErrorOf("fashion-mnist,norm=imagenet"),
              HasSubstr("norm=imagenet: expected one of train|mnist|fashion-mnist|none"));
  EXPECT_THAT(ErrorOf("fashion-mnist,classes_per_dc=2"),
              HasSubstr("classes_per_dc=2: only split=labels takes it"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dcs=5,split=labels,classes_per_dc=1"),
              HasSubstr("classes_per_dc=1: 5 DCs x 1 classes leave 5 of the 10 classes"));
  EXPECT_THAT(ErrorOf("fashion-mnist,split=labels,classes_per_dc=0"),
              HasSubstr("classes_per_dc=0: must be in [1, 256]"));
  EXPECT_THAT(ErrorOf("mnist-idx:/d,classes=3,split=labels,classes_per_dc=4"),
              HasSubstr("classes_per_dc=4: more than the 3 classes"));
  EXPECT_THAT(ErrorOf("mnist-idx:/d,classes=300"), HasSubstr("classes=300: must be in [1, 256]"));
}

TEST(CnnDataSpec, KeyErrors) {
  EXPECT_THAT(ErrorOf("fashion-mnist,colour=red"),
              HasSubstr("unknown key 'colour' for source 'fashion-mnist'"));
  EXPECT_THAT(ErrorOf("fashion-mnist,classes=10"),
              HasSubstr("unknown key 'classes' for source 'fashion-mnist'"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dcs=2,dcs=3"), HasSubstr("key 'dcs' given twice"));
  EXPECT_THAT(ErrorOf("fashion-mnist,dcs"), HasSubstr("option 'dcs' is not KEY=VALUE"));
  EXPECT_THAT(ErrorOf("fashion-mnist,=3"), HasSubstr("option '=3' is not KEY=VALUE"));
  EXPECT_THAT(ErrorOf("fashion-mnist,"), HasSubstr("option '' is not KEY=VALUE"));
}

}  // namespace
}  // namespace gaia::cnn
